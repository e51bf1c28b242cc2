"""The conversation engine, in parts with one job each (see mailflow.bootstrap.conversation for
how they are assembled): records, actors, mails, step letters, transitions, engine, answers,
replies, reminders, hooks, timeline."""
