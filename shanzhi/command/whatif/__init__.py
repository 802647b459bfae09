"""What-if staffing for the command center: a discrete-event model of the incident loop (simpy),
calibrated from the database's own history, that predicts 按期处置率, 按期结案率, the backlog and
the wait for a handler under a changed staffing or a changed handling limit.

The model
- Arrivals: each simulated day is a whole observed day of the window of the same kind (working
  or rest day by the locality's working calendar, so 调休 counts): its reports at their hours with
  their subclasses. So the hour-of-day profile, the class mix and the spread between busy and quiet
  days are the observed ones. (Per-class hourly Poisson rates are estimated too and used where the
  window has no whole day.) Small subclasses are routed with their major class.
- The center's stages (register, dispatch, re-dispatch after a return, verify) take a time and end
  on time or late as one observed pair drawn from the window's clocks (``Timer`` rows); staffing
  does not act on them.
- Handling: a dispatched case may be returned (回退; 上报上级 counts as one) after an observed delay,
  or shelved (挂账: its clock paused, perhaps resumed later with the time left), or turned into an
  enforcement lead (转为执法案源: open with the department for good); otherwise it queues
  first come first served for the department's handlers — the active ``dept_handler`` posts, at
  least 1, each with ``concurrency`` cases in hand at once — who work on it in the department's
  duty hours. When work starts, a case that would miss its deadline asks for 延期 with the
  observed probability of such cases (others with theirs), while its deadline has not passed;
  the deadline moves by an observed approved amount. The reply stops the clock; verification
  passes or sends it back to the same department (返工) with a new clock.
- Deadlines: the class limits (or a changed limit in working hours) through the project's working
  calendar (``WorkingCalendar.add``, as the loop's clocks), from the simulated times.
- A county department serves every town: its other towns' jobs arrive in the simulation too (on
  the same drawn days), taking its handlers' time but not counted.
- The simulation starts from the state at the window's end, reconstructed from the step rows:
  open cases are in their stage; those with a handler are in its queue in order, part-done.

Calibration of work content. The history shows only how long handling took (dispatch → reply):
waiting for a free handler plus work. Times are measured in duty hours (the hours of day in which
departments sign, return and reply, per kind of day; with too few steps, the official working
periods). With today's staff, each department's jobs are decomposed as a FIFO queue explains
their dispatch and reply times: a job starts when it is dispatched, all earlier jobs have started
and only staff × concurrency − 1 of them are unreplied; its work is the rest. ``concurrency`` is
the fewest cases in hand per handler for which (almost) no reply comes before its job could have
started — a department whose cases overtake each other freely has many in hand and little
waiting; one whose replies come in dispatch order one by one has one. Replaying the window with
these works gives back the observed replies exactly, so with today's staffing the model reproduces
the observed handling times; a new case's work is drawn from them, per subclass where it has
enough — as hours, or as a share of the time its deadline leaves when work starts, whichever
describes the department's history more tightly (handlers who work to their deadlines).

Predicted figures follow ``command.indicators`` for the cohort registered in the horizon,
evaluated at its end: 应处置数 = dispatched − shelved − still with the handler before its deadline;
按期处置率 = replied or closed with every handling round finished by its deadline / 应处置数;
应结案数 = cohort − shelved − open before its current stage deadline; 按期结案率 = closed with no
stage late / 应结案数. Per department by the case's department at the end (none after a return), as
``indicators.compute`` over ``department=…`` counts them. Differences: merged and voided reports
are not modelled (they are not cases); 吹哨 counts as a dispatch and 上报上级 as a return; the
center stages' lateness is drawn, not timed. Bands are the 10th–90th percentiles over runs: the
randomness of days, routes and durations, not the uncertainty of the parameters. Staff counts are
today's posts (the history does not record past staffing). Each case draws from its own random
stream, so two scenarios with one seed differ only where the scenario acts.
"""

from .calibration import MAX_DAYS, MAX_STAFF, Calibration, ClassParams, DeptParams, SubclassParams, calibrate
from .simulation import Band, DeptPrediction, Prediction, simulate

__all__ = ["MAX_DAYS", "MAX_STAFF", "Band", "Calibration", "ClassParams", "DeptParams", "DeptPrediction",
           "Prediction", "SubclassParams", "calibrate", "simulate"]
