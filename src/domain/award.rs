//! Award allocation (being written).
