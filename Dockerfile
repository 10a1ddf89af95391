# The LGNetEA application image: one image, one service per `lgnet` command (see compose.yaml).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.11-slim-bookworm
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml ./
COPY domain ./domain
COPY events ./events
COPY projections ./projections
COPY web ./web
COPY infra ./infra
RUN pip install --no-cache-dir .
COPY --from=assets /app/node_modules ./node_modules
RUN useradd --system --uid 10001 lgnet && mkdir -p /app/var && chown lgnet /app/var
USER lgnet
EXPOSE 8000
CMD ["lgnet", "web"]
