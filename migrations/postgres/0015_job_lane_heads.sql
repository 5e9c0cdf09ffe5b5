-- Lane heads: of the open jobs of a lane, only the first (by lane order) is ready to be claimed;
-- the others are `blocked` until the jobs before them finish. Claims then read ready jobs only
-- (index jobs_ready) instead of checking every waiting job of every lane, which made each claim
-- cost as much as the whole backlog when Zalo could not be reached for a while.
-- Triggers keep the flag: a job inserted behind an open job of its lane is blocked; when a lane
-- job finishes (completed, discarded, cancelled) and no ready open job is left in its lane, the
-- first blocked one is unblocked. Both take a transaction-scoped advisory lock on the lane, so an
-- insert and a finish of the same lane in two instances cannot miss each other.
ALTER TABLE jobs ADD COLUMN blocked BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE jobs SET blocked = TRUE
 WHERE lane IS NOT NULL AND state IN ('available', 'running')
   AND EXISTS (SELECT 1 FROM jobs earlier
                WHERE earlier.lane = jobs.lane AND earlier.state IN ('available', 'running')
                  AND (COALESCE(earlier.lane_pos, earlier.id), earlier.id)
                      < (COALESCE(jobs.lane_pos, jobs.id), jobs.id));

CREATE INDEX jobs_ready ON jobs (priority DESC, run_at, id) WHERE state = 'available' AND NOT blocked;
CREATE INDEX jobs_lane_blocked ON jobs (lane, id) WHERE blocked AND state IN ('available', 'running');

CREATE FUNCTION jobs_lane_block() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('tongdai-lane:' || NEW.lane, 0));
    UPDATE jobs SET blocked = TRUE
     WHERE id = NEW.id
       AND EXISTS (SELECT 1 FROM jobs open
                    WHERE open.lane = NEW.lane AND open.id <> NEW.id
                      AND open.state IN ('available', 'running') AND NOT open.blocked);
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_lane_block AFTER INSERT ON jobs
FOR EACH ROW WHEN (NEW.lane IS NOT NULL) EXECUTE FUNCTION jobs_lane_block();

CREATE FUNCTION jobs_lane_unblock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('tongdai-lane:' || NEW.lane, 0));
    UPDATE jobs SET blocked = FALSE
     WHERE id = (SELECT id FROM jobs next
                  WHERE next.lane = NEW.lane AND next.blocked AND next.state IN ('available', 'running')
                  ORDER BY COALESCE(next.lane_pos, next.id), next.id
                  LIMIT 1)
       AND NOT EXISTS (SELECT 1 FROM jobs open
                        WHERE open.lane = NEW.lane AND open.state IN ('available', 'running') AND NOT open.blocked);
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_lane_unblock AFTER UPDATE OF state ON jobs
FOR EACH ROW WHEN (NEW.lane IS NOT NULL AND NEW.state NOT IN ('available', 'running')
                   AND OLD.state IN ('available', 'running'))
EXECUTE FUNCTION jobs_lane_unblock();
