FROM python:3.12-slim
RUN pip install x
RUN apt-get update && apt-get