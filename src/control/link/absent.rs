//! Link in a build without the `link` feature: every request is refused
//! with the reason, and `/status` says Link is off.

use super::{LinkReport, LinkRequest};
use crate::control::Notice;
use crate::session::Session;

/// The Link part of a build without Ableton Link.
#[derive(Debug, Default)]
pub struct LinkDesk;

impl LinkDesk {
    /// Link is never on in this build.
    pub fn new() -> LinkDesk {
        LinkDesk
    }

    /// Refuses: this build has no Link.
    pub fn handle(
        &mut self,
        _request: LinkRequest,
        _session: &mut Session,
    ) -> Result<String, String> {
        Err(
            "this loam was built without Ableton Link: build it with `--features link` \
             (Link is GPL-2.0-or-later, so that build is distributed under the GPL)"
                .to_string(),
        )
    }

    /// Nothing to follow.
    pub fn step(&mut self, _session: &mut Session) -> Vec<Notice> {
        Vec::new()
    }

    /// Link off.
    pub fn report(&self) -> LinkReport {
        LinkReport::default()
    }
}
