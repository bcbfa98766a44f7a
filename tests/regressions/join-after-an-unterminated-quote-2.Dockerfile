FROM debian:bookworm-slim
SHELL ["/bin/bash", "-c"]
RUN echo "<<EOF"
RUN cat <<< "here-string "-c", "cat <<EOF"]
RUN echo attached-delimiter-is-n-chotocs"
