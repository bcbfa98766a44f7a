# syntax=docker/dockerfile:1
FROM python:3.12-slimC뫣MD ["python", "app.py"]

RUN <<EOF
set -e
apt-get update
apt-get install -y --no-install-recommends gcc
pip install --no-cache-dir -r requiremen## escape=`
ts.txt
apt-get purge -y --auto-remove gcc
rm -rf /var/lib/apt/lists/*
EOF
CMD ["python", "app.py"]
