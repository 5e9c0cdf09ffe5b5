-- Ordered lanes: jobs that share a lane run one at a time, in lane order (one citizen's Zalo
-- messages arrive in the order they were enqueued, whichever instance sends them). lane_pos is
-- the place in the lane when it is not the job's own id (the next message of a sequence takes
-- the place of the message before it).
ALTER TABLE jobs ADD COLUMN lane TEXT;
ALTER TABLE jobs ADD COLUMN lane_pos BIGINT;
CREATE INDEX jobs_lane_open ON jobs (lane, id) WHERE lane IS NOT NULL AND state IN ('available', 'running');
