//! The durable ledger: every step of a [`Ledger`] committed to the [`Store`] before it
//! returns, so a restart resumes the open records exactly where the last committed step left
//! them.

use super::ledger::{ChargingError, Ledger, SubscriptionPlan, Usage};
use super::record::ChargingRecord;
use crate::store::charging::OpenChange;
use crate::store::{Store, StoreError};

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// The usage or the plans were refused (nothing changed).
    #[error(transparent)]
    Charging(#[from] ChargingError),
    /// The store failed: the step is not committed and this book's memory is ahead of the
    /// store — drop it and [`Book::open`] again (the usage is to be recorded again).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A ledger with its store.
#[derive(Debug)]
pub struct Book {
    ledger: Ledger,
    store: Store,
}

impl Book {
    /// Resumes the ledger kept in `store` under `plans`.
    pub fn open(store: Store, plans: Vec<SubscriptionPlan>) -> Result<Self, BookError> {
        let (open, sequences) = store.charging_state()?;
        let ledger = Ledger::restore(plans, open, sequences)?;
        Ok(Book { ledger, store })
    }

    /// The ledger (read only: every change goes through the book).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The store.
    pub fn store(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Records `u` and commits the step; returns the records it closed.
    pub fn record(&mut self, u: &Usage) -> Result<Vec<ChargingRecord>, BookError> {
        let closed = self.ledger.record(u)?;
        let change = match self.ledger.open_record_of(&u.subscription) {
            Some(r) => OpenChange::Set(r),
            None => OpenChange::Remove(&u.subscription),
        };
        self.store.commit_charging(&[change], &closed)?;
        Ok(closed)
    }

    /// Closes the records whose time limit passed by `now_ms` and commits that.
    pub fn tick(&mut self, now_ms: u64) -> Result<Vec<ChargingRecord>, BookError> {
        let closed = self.ledger.tick(now_ms);
        if closed.is_empty() {
            return Ok(closed);
        }
        let changes: Vec<OpenChange<'_>> = closed
            .iter()
            .map(|r| match self.ledger.open_record_of(&r.subscription) {
                Some(open) => OpenChange::Set(open),
                None => OpenChange::Remove(&r.subscription),
            })
            .collect();
        self.store.commit_charging(&changes, &closed)?;
        Ok(closed)
    }
}
