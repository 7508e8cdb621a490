//! `NewBookmarkManager`: the driver's default bookmark manager, with its
//! supplier and consumer calling back into TestKit
//! (`BookmarksSupplierRequest` / `BookmarksConsumerRequest`).
//!
//! Owns no state: the handler keeps the managers by id.

use std::sync::Arc;

use neo4j::{BookmarkManager, BookmarkManagerConfig, Bookmarks, GraphDatabase};

use crate::link::Link;
use crate::protocol::requests::Request;
use crate::protocol::responses::Response;
use crate::protocol::Id;

/// A default bookmark manager whose registered callbacks ask TestKit
/// (blocking the calling thread until it answers).
pub(crate) fn new_manager(
    link: &Arc<Link>,
    id: Id,
    initial: Option<&[String]>,
    supplier: bool,
    consumer: bool,
) -> Arc<dyn BookmarkManager> {
    let mut cfg = BookmarkManagerConfig {
        initial_bookmarks: Bookmarks::from_raw_values(initial.unwrap_or_default().iter().cloned()),
        ..Default::default()
    };
    if supplier {
        let link = Arc::clone(link);
        cfg.bookmarks_supplier = Some(Arc::new(move || supply(&link, id)));
    }
    if consumer {
        let link = Arc::clone(link);
        cfg.bookmarks_consumer = Some(Arc::new(move |b: &Bookmarks| consume(&link, id, b)));
    }
    GraphDatabase::bookmark_manager(cfg)
}

/// Asks TestKit's supplier; a failed callback supplies nothing.
fn supply(link: &Link, manager: Id) -> Bookmarks {
    match link.callback_blocking(|id| Response::BookmarksSupplierRequest {
        id,
        bookmark_manager_id: manager,
    }) {
        Ok(Request::BookmarksSupplierCompleted { bookmarks, .. }) => {
            Bookmarks::from_raw_values(bookmarks)
        }
        Ok(other) => {
            eprintln!("bookmarks supplier callback answered with {other:?}");
            Bookmarks::new()
        }
        Err(e) => {
            eprintln!("bookmarks supplier callback failed: {e}");
            Bookmarks::new()
        }
    }
}

/// Tells TestKit's consumer the manager's new bookmarks.
fn consume(link: &Link, manager: Id, bookmarks: &Bookmarks) {
    let bookmarks: Vec<String> = bookmarks.raw_values().map(str::to_owned).collect();
    match link.callback_blocking(|id| Response::BookmarksConsumerRequest {
        id,
        bookmark_manager_id: manager,
        bookmarks,
    }) {
        Ok(Request::BookmarksConsumerCompleted { .. }) => {}
        Ok(other) => eprintln!("bookmarks consumer callback answered with {other:?}"),
        Err(e) => eprintln!("bookmarks consumer callback failed: {e}"),
    }
}
