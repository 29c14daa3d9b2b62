# chatserver's gateway as a container, for docker-compose.yml (it runs against LocalStack there).
# Build stage: a wheel of the package (its web frontend included); no dev extras, no sources left.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY chatserver ./chatserver
COPY web ./web
RUN pip wheel --no-cache-dir --disable-pip-version-check --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin chat
USER chat
WORKDIR /home/chat
# Listen on every interface of the container; the port is published by compose.
ENV CHAT_HOST=0.0.0.0 \
    CHAT_PORT=8080
EXPOSE 8080
# No curl in the slim image: the health check is a Python one-liner (200 from /healthz, else 1).
HEALTHCHECK --interval=5s --timeout=3s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(0 if u.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"]
CMD ["chatserver", "serve"]
