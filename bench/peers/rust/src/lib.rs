//! Nothing here: every bench module is an example target (one cdylib each).
