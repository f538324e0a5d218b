# tap-miso as an Airbyte source: the image's entry point speaks the Airbyte protocol
# (`spec`, `check --config`, `discover --config`, `read --config --catalog [--state]`).
#
#   docker build -t airbyte/source-tap-miso:0.1.0 .
#   docker run --rm airbyte/source-tap-miso:0.1.0 spec
#   docker run --rm -v "$PWD/secrets:/secrets" airbyte/source-tap-miso:0.1.0 check --config /secrets/config.json
#
# Stage 1 builds wheels of tap-miso and all its dependencies; stage 2 installs them with no
# index (nothing else is fetched) and carries no build tools.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY tap_miso ./tap_miso
RUN python -m pip install --no-cache-dir --upgrade pip \
    && python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /tmp/wheels
RUN python -m pip install --no-cache-dir --no-index --find-links /tmp/wheels tap-miso \
    && rm -rf /tmp/wheels \
    && useradd --create-home --uid 1000 airbyte
WORKDIR /airbyte/integration_code
USER airbyte

ENV AIRBYTE_ENTRYPOINT="tap-miso-airbyte"
ENTRYPOINT ["tap-miso-airbyte"]

LABEL io.airbyte.name="airbyte/source-tap-miso" \
      io.airbyte.version="0.1.0"
