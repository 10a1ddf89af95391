# The LGNetEA application image: one image, one service per `lgnet` command (see compose.yaml).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.11-slim-bookworm
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
ENV UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/lgnet PATH=/opt/lgnet/bin:$PATH
# uv from its hash-pinned requirements, then exactly uv.lock's runtime packages (no dev group).
COPY requirements-uv.txt ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements-uv.txt
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project --no-cache
COPY domain ./domain
COPY events ./events
COPY projections ./projections
COPY web ./web
COPY infra ./infra
RUN uv sync --locked --no-dev --no-editable --no-cache
COPY --from=assets /app/node_modules ./node_modules
# The data dir, private to the application's user (it also runs with umask 077: infra.cli.main);
# replays/ is the web service's volume (compose.yaml), audit/ where the relay's key is mounted.
RUN useradd --system --uid 10001 lgnet && mkdir -p /app/var/replays /app/var/audit \
    && chown -R lgnet /app/var && chmod -R 700 /app/var
USER lgnet
EXPOSE 8000
CMD ["lgnet", "web"]
