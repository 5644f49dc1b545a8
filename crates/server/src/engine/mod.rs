//! Engines that let several server nodes share rooms. Without one, a node keeps its rooms
//! to itself ([`Hub::new`](crate::rooms::Hub::new) over a local history store).

pub(crate) mod redis;
