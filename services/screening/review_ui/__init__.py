"""The reviewers' web page: the queue of open holds, each hold's evidence, and release / confirm /
request-information buttons that publish a review (`wire.ReviewV1`) to the reviews topic.

Server-rendered (Starlette + Jinja2, served by uvicorn); it reads holds through the `OpenHolds` port and
never decides anything itself: the service applies the review and publishes the new decision.
"""
