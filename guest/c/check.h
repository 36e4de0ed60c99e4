/*
 * What the C test guests share: CHECK(cond) ends the program with status 1
 * and a line naming the failed condition, its place and errno.
 */
#ifndef CAPSA_TEST_CHECK_H
#define CAPSA_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                   \
    do {                                                                                              \
        if (!(cond)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s (errno %d: %s)\n", __FILE__, __LINE__, #cond, errno, \
                    strerror(errno));                                                                 \
            exit(1);                                                                                  \
        }                                                                                             \
    } while (0)

#endif
