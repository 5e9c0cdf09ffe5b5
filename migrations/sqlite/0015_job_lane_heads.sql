-- Lane heads: of the open jobs of a lane, only the first (by lane order) is ready to be claimed;
-- the others are `blocked` until the jobs before them finish. Claims then read ready jobs only
-- (index jobs_ready) instead of checking every waiting job of every lane, which made each claim
-- cost as much as the whole backlog when Zalo could not be reached for a while.
-- Triggers keep the flag: a job inserted behind an open job of its lane is blocked; when a lane
-- job finishes (completed, discarded, cancelled) and no ready open job is left in its lane, the
-- first blocked one is unblocked.
ALTER TABLE jobs ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;

UPDATE jobs SET blocked = 1
 WHERE lane IS NOT NULL AND state IN ('available', 'running')
   AND EXISTS (SELECT 1 FROM jobs earlier
                WHERE earlier.lane = jobs.lane AND earlier.state IN ('available', 'running')
                  AND (COALESCE(earlier.lane_pos, earlier.id), earlier.id)
                      < (COALESCE(jobs.lane_pos, jobs.id), jobs.id));

CREATE INDEX jobs_ready ON jobs (priority DESC, run_at, id) WHERE state = 'available' AND blocked = 0;
CREATE INDEX jobs_lane_blocked ON jobs (lane, id) WHERE blocked = 1 AND state IN ('available', 'running');

CREATE TRIGGER jobs_lane_block AFTER INSERT ON jobs
WHEN NEW.lane IS NOT NULL
BEGIN
    UPDATE jobs SET blocked = 1
     WHERE id = NEW.id
       AND EXISTS (SELECT 1 FROM jobs open
                    WHERE open.lane = NEW.lane AND open.id <> NEW.id
                      AND open.state IN ('available', 'running') AND open.blocked = 0);
END;

CREATE TRIGGER jobs_lane_unblock AFTER UPDATE OF state ON jobs
WHEN NEW.lane IS NOT NULL AND NEW.state NOT IN ('available', 'running') AND OLD.state IN ('available', 'running')
BEGIN
    UPDATE jobs SET blocked = 0
     WHERE id = (SELECT id FROM jobs next
                  WHERE next.lane = NEW.lane AND next.blocked = 1 AND next.state IN ('available', 'running')
                  ORDER BY COALESCE(next.lane_pos, next.id), next.id
                  LIMIT 1)
       AND NOT EXISTS (SELECT 1 FROM jobs open
                        WHERE open.lane = NEW.lane AND open.state IN ('available', 'running') AND open.blocked = 0);
END;
