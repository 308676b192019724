# monitor in a container: the daemon on the shipped config.toml (mount your own at /app/config.toml),
# SQLite in the /data volume unless [database].url or --db points elsewhere.
#   docker build -t monitor .
#   docker run -d --name monitor -v monitor-data:/data -e SLACK_WEBHOOK_URL=... -p 127.0.0.1:8321:8321 monitor
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY monitor ./monitor
# a C compiler for the install only: setup.py compiles the matcher's and the clustering's hot modules
# with mypyc (about twice as fast; without a compiler they run as plain Python, same decisions)
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install --no-cache-dir . \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /data monitor
COPY config.toml ./
# the health server must listen on all of the container's interfaces for `-p 127.0.0.1:8321:8321`
# to reach it (the shipped config says 127.0.0.1, right outside a container); a mounted config
# needs the same line
RUN sed -i 's/^listen = "127.0.0.1:8321"/listen = "0.0.0.0:8321"/' config.toml \
    && grep -q '^listen = "0.0.0.0:8321"' config.toml
USER monitor
VOLUME /data
EXPOSE 8321
HEALTHCHECK --interval=60s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8321/healthz').status != 200)"
ENTRYPOINT ["monitor", "--config", "/app/config.toml", "--db", "sqlite:////data/monitor.db", "--log-format", "json"]
CMD ["run"]
