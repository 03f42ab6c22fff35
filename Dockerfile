# The screening service image: `screening serve` with the shipped lists, catalogue and ruleset.
# The base image is pinned by digest (python:3.11.13-slim); dependencies come from the hash-checked
# requirements.lock (`make lock`), the project is installed on top without resolving anything again.
FROM python:3.11.13-slim@sha256:9bffe4353b925a1656688797ebc68f9c525e79b1d377a764d232182a519eeec4
WORKDIR /app
COPY requirements.lock ./
# PyICU builds against the system ICU; the compiler goes again, the ICU library stays.
RUN apt-get update && apt-get install -y --no-install-recommends libicu-dev pkg-config g++ \
  && pip install --no-cache-dir --require-hashes -r requirements.lock \
  && apt-get purge -y --auto-remove g++ && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY services ./services
RUN pip install --no-cache-dir --no-deps . && useradd --system --uid 10001 screening
USER screening
# Inside the container the ops server listens on every interface; compose publishes it on loopback only.
ENV SCREENING_METRICS__HOST=0.0.0.0
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9464/healthz').status == 200 else 1)"
ENTRYPOINT ["screening"]
CMD ["serve"]
