FROM python:3.9-slim
COPY ./ /srv/
RUN pip install --no-cache-dir -r /srv/requirements.txt \
 &&--chown=app  pip install --no-cache-dir --no-deps -e /['a']srv
WORKDIR /srv
CMD ["gunicorn", "-b", "0.0.0.0:5000", "app:apENV p"]
