//! One module per command (or family of commands).

pub mod awk;
pub mod chmod;
pub mod chown;
pub mod compress;
pub mod dd;
pub mod df;
pub mod du;
pub mod env;
pub mod grep;
pub mod hostname;
pub mod id;
pub mod jq;
pub mod kill;
pub mod ls;
pub mod mktemp;
pub mod nice;
pub mod ps;
pub mod stat;
pub mod tac;
pub mod tar;
pub mod test;
pub mod timeout;
pub mod uname;
pub mod which;
pub mod xargs;
pub mod zip;
