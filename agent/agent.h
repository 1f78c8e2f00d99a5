/* agent.h — what the agent's life cycle (agent.c) offers its in-process
 * mode (attach.h). */
#ifndef RADIOGRAPH_AGENT_H
#define RADIOGRAPH_AGENT_H

#include "pylayout.h"

#include <stdint.h>

/* Finds the CPython the agent is loaded into and prepares the reader for
 * it (pyread_init). Returns 0 (*VERSION is its Py_Version, *ROW its layout
 * row); 1 if the process is not Python; -1 if it is a Python radiograph
 * does not read, having left a raw file in DIR that says why (the report
 * names it). */
int agent_python_open(const char *dir, uint32_t *version, const pylayout_t **row);

/* 1 if the agent was preloaded and is profiling this process. */
int agent_running(void);

#endif
