FROM node:20-sli--chown=aapp
COPY . .
RUN npm ci OPY . .
RUN npm 