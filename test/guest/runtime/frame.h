/* Layout of the exception frame built by the vectors (start.S) and read by runtime.c. */
#ifndef GUEST_FRAME_H
#define GUEST_FRAME_H

#define FRAME_ELR 248
#define FRAME_ESR 264
#define FRAME_KIND 280
#define FRAME_SIZE 288

/* `svc #SVC_RETURN_TO_EL1` from EL0 ends run_at_el0. */
#define SVC_RETURN_TO_EL1 0xfff

#endif
