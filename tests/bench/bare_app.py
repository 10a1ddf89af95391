"""The bare FastAPI baseline for the HTTP benchmark: one POST endpoint that parses a JSON body
and answers 201, served by uvicorn exactly as the platform's web app is."""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.post("/api/v1/cities/{city}/intakes", status_code=201)
async def accept(city: str, body: dict[str, Any]) -> dict[str, str]:
    return {"city": city, "fields": str(len(body))}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
