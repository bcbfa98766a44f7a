/* The C fixture's entry point. */
#include <stdio.h>
#include "store.h"

int main(void) {
    char buf[256];
    if (store_demo(buf, sizeof buf) < 0) return 1;
    printf("hello from the C fixture: %s\n", buf);
    return 0;
}
