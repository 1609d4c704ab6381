//! Sources: bring each input of a `Plan` onto the host filesystem.
