package crm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/paging"
	"github.com/minicrm/crm/internal/patch"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/minicrm/crm/internal/webhooks"
)

// Task is a task as stored. DueDate, when set, is a calendar date at midnight UTC.
type Task = db.Task

// NewTask is what a caller gives to create a task.
type NewTask struct {
	DealID      uuid.UUID
	Title       string
	Description *string
	DueDate     *time.Time // a calendar date (its year, month and day count); not before today
	OwnerID     *uuid.UUID // default: the caller
}

// TaskFilter narrows a task list; nil fields do not filter. The date bounds are inclusive.
type TaskFilter struct {
	DealID    *uuid.UUID
	OwnerID   *uuid.UUID
	OnlyOpen  bool
	DueBefore *time.Time
	DueAfter  *time.Time
}

// TaskPatch is a partial change of a task; Description and DueDate may be cleared.
type TaskPatch struct {
	Title       patch.Field[string]
	Description patch.Field[string]
	DueDate     patch.Field[time.Time] // a calendar date, as in NewTask
	IsDone      patch.Field[bool]
	OwnerID     patch.Field[uuid.UUID]
}

var errDueDateInPast = apperr.Invalid("due_date_in_past", "The due date is before today in the organization's time zone.")

// orgToday is the calendar date at instant at in the time zone named tz, as midnight UTC. An
// unknown zone counts as UTC (organization settings only ever hold zones that load).
func orgToday(tz string, at time.Time) time.Time {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	y, mo, d := at.In(loc).Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}

// asDate reduces t to its calendar date (read in t's own location) at midnight UTC.
func asDate(t time.Time) time.Time {
	y, mo, d := t.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}

// checkTaskDueDate fails with due_date_in_past when due is before today in the time zone tz at the
// instant at. Today itself is fine; so is no due date.
func checkTaskDueDate(due *time.Time, tz string, at time.Time) error {
	if due == nil {
		return nil
	}
	if asDate(*due).Before(orgToday(tz, at)) {
		return errDueDateInPast
	}
	return nil
}

func dateOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	d := asDate(*t)
	return &d
}

// CreateTask creates a task on a deal and writes task_created into the deal's timeline. Members
// may create tasks only on their own deals.
func (s *Service) CreateTask(ctx context.Context, m tenancy.Membership, in NewTask) (Task, error) {
	if err := m.Require(tenancy.CreateRecords); err != nil {
		return Task{}, err
	}
	if err := checkTaskDueDate(in.DueDate, m.Settings.Timezone, s.Now()); err != nil {
		return Task{}, err
	}
	var task Task
	err := s.store.InTxWith(ctx, func(tx pgx.Tx, q *db.Queries) error {
		owner, err := resolveOwner(ctx, q, m, in.OwnerID)
		if err != nil {
			return err
		}
		// The deal row stays locked until the task and its timeline entry are written, so the
		// ownership checked here cannot change underneath.
		deal, err := q.GetDealForUpdate(ctx, db.GetDealForUpdateParams{OrganizationID: m.OrganizationID, ID: in.DealID})
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !visible(m, deal.OwnerID)) {
			// Unknown, another organization's and invisible deals are answered alike.
			return apperr.InvalidReference("deal_id")
		}
		if err != nil {
			return fmt.Errorf("get deal: %w", err)
		}
		if deal.OwnerID != m.UserID && !m.Can(tenancy.ModifyAnyRecord) {
			return apperr.Forbidden("forbidden", "Members may create tasks only on their own deals.")
		}
		task, err = q.CreateTask(ctx, db.CreateTaskParams{
			OrganizationID: m.OrganizationID, ID: newID(), DealID: deal.ID, OwnerID: owner,
			Title: in.Title, Description: in.Description, DueDate: dateOrNil(in.DueDate),
		})
		if err != nil {
			return fmt.Errorf("create task: %w", err)
		}
		if _, err = record(ctx, q, m, deal.ID, ActivityTaskCreated, map[string]any{"task_id": task.ID, "title": task.Title}); err != nil {
			return err
		}
		return s.taskEvent(ctx, tx, q, webhooks.TaskCreated, task, nil)
	})
	if err != nil {
		return Task{}, err
	}
	return task, nil
}

// GetTask returns a task the caller may see.
func (s *Service) GetTask(ctx context.Context, m tenancy.Membership, id uuid.UUID) (Task, error) {
	t, err := found(s.q.GetTask(ctx, db.GetTaskParams{OrganizationID: m.OrganizationID, ID: id}))
	if err != nil {
		return Task{}, err
	}
	return t, requireVisible(m, t.OwnerID)
}

// ListTasks returns a page of the tasks the caller may see, by due date (none last), then id. A list
// filtered by owner and openness at most is read from the due-date index, from the cursor's
// position when there is one; a filter on deal or due dates narrows it through that column's index
// instead, and such a list is paged by offset.
func (s *Service) ListTasks(ctx context.Context, m tenancy.Membership, f TaskFilter, p paging.Request) (paging.Page[Task], error) {
	owner, err := ownerFilter(m, f.OwnerID)
	if err != nil {
		return paging.Page[Task]{}, err
	}
	narrowed := f.DealID != nil || f.DueBefore != nil || f.DueAfter != nil
	var fetch paging.Fetch[taskRow]
	if narrowed {
		args := db.FilterTasksParams{
			OrganizationID: m.OrganizationID, DealID: f.DealID, OwnerID: owner, OnlyOpen: f.OnlyOpen,
			DueBefore: dateOrNil(f.DueBefore), DueAfter: dateOrNil(f.DueAfter),
		}
		fetch = func(limit, offset int32, _ *paging.Key) ([]taskRow, error) {
			args.PageLimit, args.PageOffset = limit, offset
			return taskRows(s.q.FilterTasks(ctx, args))
		}
	} else {
		fetch = func(limit, offset int32, after *paging.Key) ([]taskRow, error) {
			args := db.ListTasksParams{OrganizationID: m.OrganizationID, OwnerID: owner, OnlyOpen: f.OnlyOpen, PageLimit: limit, PageOffset: offset}
			args.AfterKey, args.AfterID = after.Args()
			return taskRows(s.q.ListTasks(ctx, args))
		}
	}
	page, err := paging.List(p, !narrowed, fetch, func(r taskRow) (Task, int64) { return r.Task, r.Total }, taskKey)
	if err != nil {
		return page, fmt.Errorf("list tasks: %w", err)
	}
	return page, nil
}

// taskKey is a task's position in the due-date order: an undated task sorts as 'infinity'.
func taskKey(t Task) paging.Key {
	if t.DueDate == nil {
		return paging.Key{Value: "infinity", ID: t.ID}
	}
	return paging.Key{Value: t.DueDate.Format(time.DateOnly), ID: t.ID}
}

// taskState is the part of a task the rules look at and the update writes.
type taskState struct {
	Title       string
	Description *string
	DueDate     *time.Time
	IsDone      bool
	CompletedAt *time.Time
	OwnerID     uuid.UUID
}

func taskStateOf(t Task) taskState {
	return taskState{Title: t.Title, Description: t.Description, DueDate: dateOrNil(t.DueDate),
		IsDone: t.IsDone, CompletedAt: t.CompletedAt, OwnerID: t.OwnerID}
}

func (st taskState) equal(o taskState) bool {
	return st.Title == o.Title && st.IsDone == o.IsDone && st.OwnerID == o.OwnerID &&
		sameOptional(st.Description, o.Description) && sameOptional(st.DueDate, o.DueDate) &&
		sameOptional(st.CompletedAt, o.CompletedAt)
}

// applyTaskPatch decides, without touching the database, whether the caller may make the change
// and what the task becomes at instant at: members change only their own tasks, only managers and
// above reassign them, a changed due date may not be before today in the organization's zone,
// completing stamps completed_at and reopening clears it. completed reports a task just done.
// Whether a new owner is a member is for the caller to check.
func applyTaskPatch(m tenancy.Membership, cur taskState, p TaskPatch, at time.Time) (next taskState, completed bool, err error) {
	if err := requireModify(m, cur.OwnerID); err != nil {
		return cur, false, err
	}
	next = cur
	if owner, ok := p.OwnerID.Value(); ok && owner != cur.OwnerID {
		if !m.Can(tenancy.AssignRecordOwner) {
			return cur, false, errAssignOwner
		}
		next.OwnerID = owner
	}
	next.Title = p.Title.Or(cur.Title)
	next.Description = p.Description.OrPtr(cur.Description)
	next.DueDate = dateOrNil(p.DueDate.OrPtr(cur.DueDate))
	if next.DueDate != nil && !sameOptional(next.DueDate, cur.DueDate) {
		if err := checkTaskDueDate(next.DueDate, m.Settings.Timezone, at); err != nil {
			return cur, false, err
		}
	}
	if done, ok := p.IsDone.Value(); ok && done != cur.IsDone {
		next.IsDone, next.CompletedAt = done, nil
		if done {
			stamp := at.UTC()
			next.CompletedAt, completed = &stamp, true
		}
	}
	return next, completed, nil
}

// UpdateTask applies a partial change under applyTaskPatch's rules, with the task row locked for
// the transaction. Completing a task writes task_completed into the deal's timeline in the same
// transaction. pre, when not nil, is checked on the locked row first (a caller who may not change
// the task is answered that instead). A patch that changes nothing writes nothing.
func (s *Service) UpdateTask(ctx context.Context, m tenancy.Membership, id uuid.UUID, p TaskPatch, pre Precondition) (Task, error) {
	var out Task
	err := s.store.InTxWith(ctx, func(tx pgx.Tx, q *db.Queries) error {
		cur, err := found(q.GetTaskForUpdate(ctx, db.GetTaskForUpdateParams{OrganizationID: m.OrganizationID, ID: id}))
		if err != nil {
			return err
		}
		if err := requireModify(m, cur.OwnerID); err != nil {
			return err
		}
		if err := pre.check(cur.ID, cur.UpdatedAt); err != nil {
			return err
		}
		was := taskStateOf(cur)
		next, completed, err := applyTaskPatch(m, was, p, s.Now())
		if err != nil {
			return err
		}
		if next.equal(was) {
			out = cur
			return nil
		}
		if next.OwnerID != cur.OwnerID {
			if _, err := resolveOwner(ctx, q, m, &next.OwnerID); err != nil {
				return err
			}
		}
		out, err = q.UpdateTask(ctx, db.UpdateTaskParams{
			OrganizationID: m.OrganizationID, ID: id, Title: next.Title, Description: next.Description,
			DueDate: next.DueDate, IsDone: next.IsDone, CompletedAt: next.CompletedAt, OwnerID: next.OwnerID,
		})
		if err != nil {
			return fmt.Errorf("update task: %w", err)
		}
		if completed {
			if _, err = record(ctx, q, m, out.DealID, ActivityTaskCompleted, map[string]any{"task_id": out.ID, "title": out.Title}); err != nil {
				return err
			}
		}
		return s.taskEvent(ctx, tx, q, webhooks.TaskUpdated, out, &cur)
	})
	if err != nil {
		return Task{}, err
	}
	return out, nil
}

// DeleteTask deletes a task; members delete only their own. pre, when not nil, is checked on the
// locked row after the permission check.
func (s *Service) DeleteTask(ctx context.Context, m tenancy.Membership, id uuid.UUID, pre Precondition) error {
	return s.store.InTxWith(ctx, func(tx pgx.Tx, q *db.Queries) error {
		t, err := found(q.GetTaskForUpdate(ctx, db.GetTaskForUpdateParams{OrganizationID: m.OrganizationID, ID: id}))
		if err != nil {
			return err
		}
		if err := requireModify(m, t.OwnerID); err != nil {
			return err
		}
		if err := pre.check(t.ID, t.UpdatedAt); err != nil {
			return err
		}
		if _, err := q.DeleteTask(ctx, db.DeleteTaskParams{OrganizationID: m.OrganizationID, ID: id}); err != nil {
			return fmt.Errorf("delete task: %w", err)
		}
		return s.taskEvent(ctx, tx, q, webhooks.TaskDeleted, t, nil)
	})
}
