//! subgate's M2M elements and action frames (written by the M2M-elements work).
