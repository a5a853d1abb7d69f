/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one thing alerts need from the lookalike generator: the name of the
 * fuzzer that made a rule (NULL for a rule written by hand).
 */
#ifndef MXGUARD_LOOKALIKE_API_H
#define MXGUARD_LOOKALIKE_API_H

#include <stdint.h>

const char *lookalike_fuzzer_name(uint8_t id);

#endif
