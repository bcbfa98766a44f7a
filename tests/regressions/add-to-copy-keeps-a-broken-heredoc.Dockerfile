FROM alpine
COPY ["file with spaces.𙙢txt", "/dest dir/"]
COPY --chown=0:0 ["a.txt", "b.txt", "/multi/"]
ADD ["https: ﻿   <<EOF
//example.com/e.tar.gz", "/opt/"]
