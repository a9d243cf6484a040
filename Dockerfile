# syntax=docker/dockerfile:1
# leadbot's image: `docker build -t leadbot .` (or `podman build`). Two stages: the first builds
# a virtual environment with leadbot and its dependencies, the second copies only that onto a
# clean base, so no compiler, pip cache or source tree ships.
#
# PYTHON_IMAGE: any Debian-based image whose `python3` is 3.11 or newer and has venv. CI builds
# with a Debian bookworm base made by debootstrap (.ci/image), because Docker Hub is out of its
# reach; on a normal machine the default below is what you want.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Dependencies first, from pyproject.toml alone: a change of code does not re-download them.
COPY pyproject.toml README.md LICENSE ./
RUN python3 -m venv /opt/leadbot \
 && /opt/leadbot/bin/pip install --quiet --upgrade pip \
 && /opt/leadbot/bin/python -c "import tomllib; d = tomllib.load(open('pyproject.toml', 'rb')); print('\n'.join(d['project']['dependencies'] + d['project']['optional-dependencies']['postgres']))" > /tmp/requirements.txt \
 && /opt/leadbot/bin/pip install --quiet -r /tmp/requirements.txt
COPY bot ./bot
COPY blocks ./blocks
COPY handlers ./handlers
COPY storage ./storage
RUN /opt/leadbot/bin/pip install --quiet --no-deps . \
 && /opt/leadbot/bin/leadbot --help >/dev/null

FROM ${PYTHON_IMAGE}
# A fixed, unprivileged uid: volumes and Kubernetes' runAsNonRoot can name it.
RUN groupadd --gid 10001 leadbot \
 && useradd --uid 10001 --gid leadbot --no-log-init --home-dir /var/lib/leadbot --create-home \
      --shell /usr/sbin/nologin leadbot
COPY --from=build /opt/leadbot /opt/leadbot
COPY leadbot.example.yml /etc/leadbot/leadbot.yml
ENV PATH=/opt/leadbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    LEADBOT_CONFIG=/etc/leadbot/leadbot.yml \
    DATABASE_URL=sqlite:////var/lib/leadbot/leadbot.db
USER leadbot
WORKDIR /var/lib/leadbot
VOLUME ["/var/lib/leadbot"]
EXPOSE 3000
# /healthz answers while the process serves; `leadbot serve` applies the database migrations at
# start (one instance at a time, under a lock) and stops cleanly on SIGTERM, finishing in-flight
# work, so `docker stop` loses nothing.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python3", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=2).status != 200)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["leadbot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
