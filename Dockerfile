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
RUN useradd --system --uid 10001 lgnet && mkdir -p /app/var && chown lgnet /app/var
USER lgnet
EXPOSE 8000
CMD ["lgnet", "web"]
