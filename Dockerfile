# csm-blocker: the web app + scheduler (`blocker serve`), or a worker (`blocker worker`).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY blocker ./blocker
COPY providers ./providers
COPY rules ./rules
RUN pip install ".[distributed]"

COPY config.example.yaml ./
COPY examples ./examples

RUN useradd --create-home --uid 10001 blocker && mkdir -p /data && chown blocker /data
USER blocker
ENV BLOCKER_DATABASE_URL=sqlite:////data/blocker.db

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
# Inside a container the app must listen on all interfaces; outside, it binds 127.0.0.1.
CMD ["blocker", "serve", "--config", "/app/config.example.yaml", "--host", "0.0.0.0", "--port", "8000"]
