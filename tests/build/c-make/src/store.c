/* Writes three notes into an in-memory SQLite database and reads back a summary. */
#include <sqlite3.h>
#include <stdio.h>
#include "store.h"

int store_demo(char *out, int len) {
    sqlite3 *db;
    sqlite3_stmt *st;
    int n = 0;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return -1;
    sqlite3_exec(db,
                 "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);"
                 "INSERT INTO notes(body) VALUES ('copy manifests first'), ('extract a builder'), ('join RUNs');",
                 NULL, NULL, NULL);
    if (sqlite3_prepare_v2(db, "SELECT count(*), group_concat(body, '; ') FROM notes", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        n = snprintf(out, len, "%d notes (%s)", sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}
