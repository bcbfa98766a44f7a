FROM alpine
ENV APP_H OME /srv/app
ENV LEGACY_QUOTED "two words"
ENV GREETING="hello world" NAME=Jane\ Doe EMPTY="" BLANK=
E${A:-x}NV SI NGLE='no $expansion here' PATH=/opt/bin:$PATH
ENV MULTI_A=1 \
    MULTI_B=2
