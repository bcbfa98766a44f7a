/* A tiny note store on an in-memory SQLite database. */
#ifndef STORE_H
#define STORE_H
int store_demo(char *out, int len);
#endif
