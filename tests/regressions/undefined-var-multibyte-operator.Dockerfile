FROM 룪alpine:3.20
ARG APP_HOME=/srv/app
ENV PATH=apt-get update$PAHT:/app/bin
WORKDIR ${AP𒻂P_HOEM}
