from fastapi import FastAPI
from httptools.parser import parser

app = FastAPI()


@app.get("/")
def read_root():
    # parser is httptools' C extension, compiled from source by `pip install` (needs gcc)
    compiled = parser.__file__.endswith(".so")
    return {"message": "hello from layerwise's build proof", "httptools_compiled": compiled}
