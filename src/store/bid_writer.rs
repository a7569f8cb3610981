//! The bid writer. At a bid deadline many suppliers submit at once; one thread takes every
//! submission waiting in its queue and writes them together, in one transaction of a handful of
//! statements for the whole batch ([`tenders::submit_bids`]). A lone submission is a batch of
//! one: nothing is held back to wait for company. A submission that meets a concurrent one for
//! the same bid (another server, a withdrawal) is taken again on its own, as a replacement.

use std::collections::HashSet;
use tokio::sync::{mpsc, oneshot};

use super::tenders::{self, BidSubmission, Submitted};
use super::{Act, Result, Store, StoreError};

/// Most submissions written in one transaction.
const MAX_BATCH: usize = 64;

type Reply = oneshot::Sender<Result<Submitted>>;

struct Job {
    act: Act,
    sub: BidSubmission,
    reply: Reply,
}

/// A handle on the bid writer thread (cheap to clone).
#[derive(Clone)]
pub struct BidWriter {
    tx: mpsc::Sender<Job>,
}

fn stopped() -> StoreError {
    StoreError::Connect("the bid writer has stopped".into())
}

impl BidWriter {
    /// Starts the writer thread; it ends when the last handle is dropped.
    pub fn start(store: Store) -> BidWriter {
        let (tx, mut rx) = mpsc::channel::<Job>(4096);
        std::thread::Builder::new()
            .name("jicai-bid-writer".into())
            .spawn(move || {
                let mut carry: Option<Job> = None;
                loop {
                    let first = match carry.take() {
                        Some(j) => j,
                        None => match rx.blocking_recv() {
                            Some(j) => j,
                            None => return,
                        },
                    };
                    let mut pairs: HashSet<(i64, i64)> = HashSet::new();
                    pairs.insert((first.sub.lot_id, first.sub.supplier_id));
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            // The same bid twice: the second waits for the next batch.
                            Ok(j) if !pairs.insert((j.sub.lot_id, j.sub.supplier_id)) => {
                                carry = Some(j);
                                break;
                            }
                            Ok(j) => batch.push(j),
                            Err(_) => break,
                        }
                    }
                    // A panic loses no bid (nothing of the batch is committed) and does not stop
                    // the writer: the callers of that batch get an error.
                    let store = store.clone();
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                        write(&store, batch)
                    }));
                }
            })
            .expect("the bid writer thread starts");
        BidWriter { tx }
    }

    /// Submits (or replaces) a bid through the writer and waits for what it came to (the
    /// receipt, or the price check of an unconfirmed price above the ceiling).
    pub async fn submit(&self, act: Act, sub: BidSubmission) -> Result<Submitted> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job { act, sub, reply })
            .await
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// The same from a blocking thread (a service of the application layer, run off the HTTP
    /// workers): sends the submission and waits for its receipt.
    pub fn submit_blocking(&self, act: Act, sub: BidSubmission) -> Result<Submitted> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .blocking_send(Job { act, sub, reply })
            .map_err(|_| stopped())?;
        rx.blocking_recv().map_err(|_| stopped())?
    }
}

fn write(store: &Store, batch: Vec<Job>) {
    let (items, replies): (Vec<(Act, BidSubmission)>, Vec<Reply>) =
        batch.into_iter().map(|j| ((j.act, j.sub), j.reply)).unzip();
    let mut conn = match store.conn() {
        Ok(c) => c,
        Err(e) => {
            let msg = e.to_string();
            for r in replies {
                let _ = r.send(Err(StoreError::Connect(msg.clone())));
            }
            return;
        }
    };
    let refs: Vec<(&Act, &BidSubmission)> = items.iter().map(|(a, s)| (a, s)).collect();
    match tenders::submit_bids(&mut conn, &refs) {
        Ok(results) => {
            for (((act, sub), reply), r) in items.iter().zip(replies).zip(results) {
                let r = match r {
                    Err(StoreError::Conflict(_)) => tenders::submit_bid(&mut conn, act, sub),
                    r => r,
                };
                let _ = reply.send(r);
            }
        }
        // Nothing of the batch was written (a concurrent writer took one of its bids first, or
        // the database refused): each submission is taken again on its own.
        Err(_) => {
            for ((act, sub), reply) in items.iter().zip(replies) {
                let _ = reply.send(tenders::submit_bid(&mut conn, act, sub));
            }
        }
    }
}
