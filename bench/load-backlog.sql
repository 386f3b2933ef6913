-- 20,000 queued emails in a souk SQLite database, for the load benchmark's "while a backlog
-- drains" point (bench/README.md, "Load benchmark"):
--   sqlite3 data/load-sqlite/souk.db < bench/load-backlog.sql
-- then run souk-load on that database: the API's embedded worker starts on them at once.
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 20000)
INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at)
SELECT 'send_email',
       json_object('email', json_object(
           'to', 'seller' || x || '@example.com',
           'subject', 'Votre annonce expire bientôt',
           'text', 'Bonjour, votre annonce expire dans 3 jours.',
           'html', '<p>Bonjour, votre annonce expire dans 3 jours.</p>')),
       'queued', 0, 8,
       strftime('%Y-%m-%d %H:%M:%f', 'now'),
       strftime('%Y-%m-%d %H:%M:%f', 'now'),
       strftime('%Y-%m-%d %H:%M:%f', 'now')
FROM n;
