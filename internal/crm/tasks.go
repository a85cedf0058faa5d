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
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/tenancy"
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

// TaskPatch is a partial change of a task. Description and DueDate are nullable: the *Set flag says
// whether the field was given at all, a nil value then clears it.
type TaskPatch struct {
	Title          *string
	DescriptionSet bool
	Description    *string
	DueDateSet     bool
	DueDate        *time.Time
	IsDone         *bool
	OwnerID        *uuid.UUID
}

// tasksNow is the clock of the task rules (due dates, completed_at); tests may replace it.
var tasksNow = time.Now

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
	if err := checkTaskDueDate(in.DueDate, m.Settings.Timezone, tasksNow()); err != nil {
		return Task{}, err
	}
	var task Task
	err := platform.InTx(ctx, s.pool, func(q *db.Queries) error {
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
		_, err = record(ctx, q, m, deal.ID, ActivityTaskCreated, map[string]any{"task_id": task.ID, "title": task.Title})
		return err
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

// ListTasks returns a page of the tasks the caller may see, by due date (none last), then id.
func (s *Service) ListTasks(ctx context.Context, m tenancy.Membership, f TaskFilter, p paging.Request) (paging.Page[Task], error) {
	owner, err := ownerFilter(m, f.OwnerID)
	if err != nil {
		return paging.Page[Task]{}, err
	}
	args := db.ListTasksParams{
		OrganizationID: m.OrganizationID, DealID: f.DealID, OwnerID: owner, OnlyOpen: f.OnlyOpen,
		DueBefore: dateOrNil(f.DueBefore), DueAfter: dateOrNil(f.DueAfter),
		PageLimit: p.Limit(), PageOffset: p.Offset(),
	}
	rows, err := s.q.ListTasks(ctx, args)
	if err != nil {
		return paging.Page[Task]{}, fmt.Errorf("list tasks: %w", err)
	}
	return paging.Of(p, rows, func(r db.ListTasksRow) int64 { return r.Total }, taskFromRow, func() (int64, error) {
		return s.q.CountTasks(ctx, db.CountTasksParams{
			OrganizationID: args.OrganizationID, DealID: args.DealID, OwnerID: args.OwnerID,
			OnlyOpen: args.OnlyOpen, DueBefore: args.DueBefore, DueAfter: args.DueAfter,
		})
	})
}

func taskFromRow(r db.ListTasksRow) Task {
	return Task{OrganizationID: r.OrganizationID, ID: r.ID, DealID: r.DealID, OwnerID: r.OwnerID,
		Title: r.Title, Description: r.Description, DueDate: r.DueDate, IsDone: r.IsDone,
		CompletedAt: r.CompletedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// UpdateTask applies a partial change. Members change only their own tasks and only managers and
// above reassign them; a new due date may not be in the past. Completing a task stamps
// completed_at and writes task_completed into the deal's timeline in the same transaction;
// reopening it clears completed_at.
func (s *Service) UpdateTask(ctx context.Context, m tenancy.Membership, id uuid.UUID, p TaskPatch) (Task, error) {
	var out Task
	err := platform.InTx(ctx, s.pool, func(q *db.Queries) error {
		cur, err := found(q.GetTaskForUpdate(ctx, db.GetTaskForUpdateParams{OrganizationID: m.OrganizationID, ID: id}))
		if err != nil {
			return err
		}
		if err := requireModify(m, cur.OwnerID); err != nil {
			return err
		}
		at := tasksNow()
		next := db.UpdateTaskParams{
			OrganizationID: m.OrganizationID, ID: id, Title: cur.Title, Description: cur.Description,
			DueDate: cur.DueDate, IsDone: cur.IsDone, CompletedAt: cur.CompletedAt, OwnerID: cur.OwnerID,
		}
		if p.Title != nil {
			next.Title = *p.Title
		}
		if p.DescriptionSet {
			next.Description = p.Description
		}
		if p.DueDateSet {
			next.DueDate = dateOrNil(p.DueDate)
			if next.DueDate != nil && (cur.DueDate == nil || !asDate(*cur.DueDate).Equal(*next.DueDate)) {
				if err := checkTaskDueDate(next.DueDate, m.Settings.Timezone, at); err != nil {
					return err
				}
			}
		}
		if p.OwnerID != nil && *p.OwnerID != cur.OwnerID {
			if next.OwnerID, err = resolveOwner(ctx, q, m, p.OwnerID); err != nil {
				return err
			}
		}
		completed := false
		if p.IsDone != nil && *p.IsDone != cur.IsDone {
			next.IsDone = *p.IsDone
			if next.IsDone {
				done := at.UTC()
				next.CompletedAt, completed = &done, true
			} else {
				next.CompletedAt = nil
			}
		}
		out, err = q.UpdateTask(ctx, next)
		if err != nil {
			return fmt.Errorf("update task: %w", err)
		}
		if completed {
			_, err = record(ctx, q, m, out.DealID, ActivityTaskCompleted, map[string]any{"task_id": out.ID, "title": out.Title})
		}
		return err
	})
	if err != nil {
		return Task{}, err
	}
	return out, nil
}

// DeleteTask deletes a task; members delete only their own.
func (s *Service) DeleteTask(ctx context.Context, m tenancy.Membership, id uuid.UUID) error {
	return platform.InTx(ctx, s.pool, func(q *db.Queries) error {
		t, err := found(q.GetTaskForUpdate(ctx, db.GetTaskForUpdateParams{OrganizationID: m.OrganizationID, ID: id}))
		if err != nil {
			return err
		}
		if err := requireModify(m, t.OwnerID); err != nil {
			return err
		}
		if _, err := q.DeleteTask(ctx, db.DeleteTaskParams{OrganizationID: m.OrganizationID, ID: id}); err != nil {
			return fmt.Errorf("delete task: %w", err)
		}
		return nil
	})
}
