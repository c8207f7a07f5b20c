"""The course's user directory beside the messages table: its users in Postgres (`public.users`)
and in a Cognito user pool. A small data-access layer per store (postgres, cognito) and the pure
decision between them (cognito_ids), used by bin/cognito/*, bin/db/* and `bin/ddb/seed`."""
