// Package webhooks delivers the organization's events to the endpoints its owners and admins
// subscribed, signed by the Standard Webhooks scheme (https://www.standardwebhooks.com): the
// secrets, the signature, the retry schedule and the guard against server-side request forgery.
package webhooks
