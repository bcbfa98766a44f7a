FROM debian:bookworm-slim
SHELL ["/bin/bash", "-c"]
RUN echo "< "-c"]
RUN echo "<<EOF"
RUN cat[ <<< "here-<EOF"
RUN cat <<< "here-string, not a "<<EOF"
RUN c heredoN ["bash", "-c", " || cat <<EOF