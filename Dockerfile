# The screening service image: `screening serve` with the shipped lists, catalogue and ruleset.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
# PyICU builds against the system ICU; the compiler goes again, the ICU library stays.
RUN apt-get update && apt-get install -y --no-install-recommends libicu-dev pkg-config g++ \
  && pip install --no-cache-dir . && apt-get purge -y --auto-remove g++ && rm -rf /var/lib/apt/lists/* \
  && useradd --system --uid 10001 screening
USER screening
ENV SCREENING_METRICS__HOST=0.0.0.0
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9464/healthz').status == 200 else 1)"
ENTRYPOINT ["screening"]
CMD ["serve"]
