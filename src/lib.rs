//! Jicai (集采): the provincial centralized drug procurement platform.

pub mod alerts;
pub mod app;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod i18n;
pub mod jobs;
pub mod keyfile;
pub mod mail;
pub mod ocds;
pub mod sealing;
pub mod security;
pub mod sheet;
pub mod store;
pub mod web;
