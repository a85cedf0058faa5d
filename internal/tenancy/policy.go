// Package tenancy knows who is acting and in which organization: the principal from the access
// token, the membership resolved per request, and the one role policy table of the product.
package tenancy

// Role is a member's role in one organization.
type Role string

// The roles, from most to least powerful.
const (
	RoleOwner   Role = "owner"
	RoleAdmin   Role = "admin"
	RoleManager Role = "manager"
	RoleMember  Role = "member"
)

// Roles lists every role, most powerful first.
func Roles() []Role { return []Role{RoleOwner, RoleAdmin, RoleManager, RoleMember} }

// Action is something a role may or may not do in an organization.
type Action string

// The actions the policy decides.
const (
	ReadRecords        Action = "read_records"        // contacts, deals, tasks, activities, analytics, members
	CreateRecords      Action = "create_records"      // contacts, deals, tasks, comments (owned by the creator)
	ModifyAnyRecord    Action = "modify_any_record"   // update/delete records someone else owns
	AssignRecordOwner  Action = "assign_record_owner" // set or change owner_id
	RollbackDealStage  Action = "rollback_deal_stage" // move a deal to an earlier stage
	ManageSettings     Action = "manage_settings"     // organization name and settings
	ManageMembers      Action = "manage_members"      // remove members, change non-owner roles
	InviteMembers      Action = "invite_members"      // invite people, list and revoke invitations
	ManageOwners       Action = "manage_owners"       // grant, change or revoke the owner role
	ManageWebhooks     Action = "manage_webhooks"     // webhook subscriptions and their deliveries
	DeleteOrganization Action = "delete_organization"
)

// policy is THE role table of DESIGN.md §5; every permission check in the product reads it.
var policy = map[Action]map[Role]bool{
	ReadRecords:        {RoleOwner: true, RoleAdmin: true, RoleManager: true, RoleMember: true},
	CreateRecords:      {RoleOwner: true, RoleAdmin: true, RoleManager: true, RoleMember: true},
	ModifyAnyRecord:    {RoleOwner: true, RoleAdmin: true, RoleManager: true},
	AssignRecordOwner:  {RoleOwner: true, RoleAdmin: true, RoleManager: true},
	RollbackDealStage:  {RoleOwner: true, RoleAdmin: true},
	ManageSettings:     {RoleOwner: true, RoleAdmin: true},
	ManageMembers:      {RoleOwner: true, RoleAdmin: true},
	InviteMembers:      {RoleOwner: true, RoleAdmin: true},
	ManageOwners:       {RoleOwner: true},
	ManageWebhooks:     {RoleOwner: true, RoleAdmin: true},
	DeleteOrganization: {RoleOwner: true},
}

// Actions lists every action the policy knows, for exhaustive tests.
func Actions() []Action {
	return []Action{ReadRecords, CreateRecords, ModifyAnyRecord, AssignRecordOwner, RollbackDealStage,
		ManageSettings, ManageMembers, InviteMembers, ManageOwners, ManageWebhooks, DeleteOrganization}
}

// Can reports whether role may perform action. Unknown roles and actions may do nothing.
func Can(role Role, action Action) bool { return policy[action][role] }
