//! Subcommand arguments that clap builds only for the subcommand that runs.
//!
//! Building every subcommand's arguments is most of clap's start-up work;
//! [`Deferred`] hands it to [`clap::Command::defer`], so `hush decrypt`
//! never builds the arguments of `hush seal`. Help and errors are the same.

use clap::{ArgMatches, Args, Command, FromArgMatches, Id};

/// `T`'s arguments, added when clap builds the subcommand (on use).
pub(crate) struct Deferred<T>(pub T);

impl<T: Args> Args for Deferred<T> {
    fn group_id() -> Option<Id> {
        T::group_id()
    }
    fn augment_args(cmd: Command) -> Command {
        cmd.defer(|c| keep_about(c, T::augment_args))
    }
    fn augment_args_for_update(cmd: Command) -> Command {
        cmd.defer(|c| keep_about(c, T::augment_args_for_update))
    }
}

/// Adds `T`'s arguments but keeps the subcommand's own description: a
/// documented args struct (or one it flattens) would otherwise replace it,
/// since the deferred part runs after the variant's `about` is set.
fn keep_about(cmd: Command, augment: fn(Command) -> Command) -> Command {
    let (about, long) = (cmd.get_about().cloned(), cmd.get_long_about().cloned());
    let cmd = augment(cmd).about(None::<&str>).long_about(None::<&str>);
    let cmd = match about {
        Some(a) => cmd.about(a),
        None => cmd,
    };
    match long {
        Some(l) => cmd.long_about(l),
        None => cmd,
    }
}

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(m).map(Deferred)
    }
    fn from_arg_matches_mut(m: &mut ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(m).map(Deferred)
    }
    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(m)
    }
    fn update_from_arg_matches_mut(&mut self, m: &mut ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(m)
    }
}
