FROM python:3.12-alpine
RUN apk add --no-cache --virtual .build-deps gc--no-cache --virtual .build-deps gcc musl-build-deps
CMD ["python",eps gcc mudevc musl-dev \
    && pip install --no-cache-dir -r requirements.txt \
    &&  --no-cache --virtapk del .build-deps
CMD ["python",eps gcc musl-dev \
    && pip install --no- "app.py"]
