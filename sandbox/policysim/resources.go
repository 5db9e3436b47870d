package policysim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

type certificateRecord struct {
	pc.Certificate
	size int
}

type state struct {
	gen          int // bumped by reset so pending timers of the old state do nothing
	contractors  table[pc.Contractor]
	jobs         table[pc.Job]
	quotes       table[pc.Quote]
	sessions     table[pc.Session]
	assignments  table[pc.Assignment]
	certificates table[certificateRecord]
	invoices     table[pc.Invoice]
	policies     table[pc.Policy]
	events       table[json.RawMessage]
}

func newState() *state { return &state{} }

// Table selectors for the generic handlers.
func contractors(st *state) *table[pc.Contractor] { return &st.contractors }
func jobs(st *state) *table[pc.Job]               { return &st.jobs }
func quotes(st *state) *table[pc.Quote]           { return &st.quotes }
func sessions(st *state) *table[pc.Session]       { return &st.sessions }
func assignments(st *state) *table[pc.Assignment] { return &st.assignments }
func invoices(st *state) *table[pc.Invoice]       { return &st.invoices }
func events(st *state) *table[json.RawMessage]    { return &st.events }

// table keeps objects in creation order; lists answer newest first, as the API does.
type table[T any] struct {
	byID  map[string]*T
	order []string
}

func (t *table[T]) put(id string, v *T) {
	if t.byID == nil {
		t.byID = map[string]*T{}
	}
	if _, ok := t.byID[id]; !ok {
		t.order = append(t.order, id)
	}
	t.byID[id] = v
}

func (t *table[T]) get(id string) (*T, bool) { v, ok := t.byID[id]; return v, ok }

// page lists newest first with limit (1–100, default 10), starting_after and ending_before.
func (t *table[T]) page(r *http.Request, keep func(*T) bool) []T {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit < 1 || limit > 100 {
		limit = 10
	}
	ids := slices.Clone(t.order)
	slices.Reverse(ids)
	if after := q.Get("starting_after"); after != "" {
		if i := slices.Index(ids, after); i >= 0 {
			ids = ids[i+1:]
		}
	}
	if before := q.Get("ending_before"); before != "" {
		if i := slices.Index(ids, before); i >= 0 {
			ids = ids[:i]
		}
	}
	out := []T{}
	for _, id := range ids {
		v := t.byID[id]
		if keep != nil && !keep(v) {
			continue
		}
		out = append(out, *v)
		if len(out) == limit {
			break
		}
	}
	return out
}

// getHandler serves GET …/{id} from a table.
func getHandler[T any](s *Server, kind string, tbl func(*state) *table[T]) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, _ []byte) {
		s.mu.Lock()
		defer s.mu.Unlock()
		v, ok := tbl(s.st).get(r.PathValue("id"))
		if !ok {
			writeErr(w, notFound(kind, r.PathValue("id")))
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// listHandler serves a paged list of a table.
func listHandler[T any](s *Server, tbl func(*state) *table[T]) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, _ []byte) {
		s.mu.Lock()
		defer s.mu.Unlock()
		writeJSON(w, http.StatusOK, tbl(s.st).page(r, nil))
	}
}

// updateHandler serves PUT …/{id}: decode the partial body, find the object, merge (which
// validates), store and answer the merged object.
func updateHandler[T any](s *Server, kind string, tbl func(*state) *table[T], merge func(cur *T, patch T) (T, *apiError)) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		var patch T
		if err := decodeBody(body, &patch); err != nil {
			writeErr(w, err)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		cur, ok := tbl(s.st).get(r.PathValue("id"))
		if !ok {
			writeErr(w, notFound(kind, r.PathValue("id")))
			return
		}
		merged, err := merge(cur, patch)
		if err != nil {
			writeErr(w, err)
			return
		}
		tbl(s.st).put(r.PathValue("id"), &merged)
		writeJSON(w, http.StatusOK, merged)
	}
}

var validWageTypes = []string{"flatfee", "hourly", "unit", "blended"}
var validCoverage = []string{"general", "professional", "workers-comp", "media", "cyber"}

func (s *Server) listContractors(w http.ResponseWriter, r *http.Request, _ []byte) {
	email := r.URL.Query().Get("email")
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.st.contractors.page(r, func(c *pc.Contractor) bool { return email == "" || c.Email == email }))
}

func (s *Server) createContractor(w http.ResponseWriter, r *http.Request, body []byte) {
	var c pc.Contractor
	if err := decodeBody(body, &c); err != nil {
		writeErr(w, err)
		return
	}
	if err := requireFields(map[string]string{"first_name": c.FirstName, "last_name": c.LastName, "email": c.Email}); err != nil {
		writeErr(w, err)
		return
	}
	if !strings.Contains(c.Email, "@") {
		writeErr(w, badRequest("email_invalid", map[string]string{"email": "Enter a valid email address."}))
		return
	}
	if !s.cfg.AcceptMissingContactDetails {
		if err := requireContact(c); err != nil {
			writeErr(w, err)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.st.contractors.order {
		if s.st.contractors.byID[id].Email == c.Email {
			writeErr(w, badRequest(pc.CodeDuplicateEmail, "A contractor with this email already exists."))
			return
		}
	}
	c.ID = s.newID("cn")
	c.Created = pc.Time(s.cfg.Now().Unix())
	s.st.contractors.put(c.ID, &c)
	writeJSON(w, http.StatusCreated, c)
}

// requireContact refuses a contractor without phone or a full address, naming every missing
// field, as the API reference marks them required (400 invalid_request).
func requireContact(c pc.Contractor) *apiError {
	a := c.Address
	if a == nil {
		a = &pc.Address{}
	}
	missing := map[string]string{}
	for _, f := range []struct{ name, value string }{{"phone", c.Phone}, {"address.line1", a.Line1},
		{"address.locality", a.Locality}, {"address.region", a.Region}, {"address.postalcode", a.PostalCode}} {
		if strings.TrimSpace(f.value) == "" {
			missing[f.name] = "This field is required."
		}
	}
	if len(missing) > 0 {
		return badRequest(pc.CodeInvalidRequest, missing)
	}
	return nil
}

// mergeContractor applies a partial contractor update (the email stays unique).
func (s *Server) mergeContractor(c *pc.Contractor, p pc.Contractor) (pc.Contractor, *apiError) {
	if p.Email != "" && p.Email != c.Email {
		for _, other := range s.st.contractors.byID {
			if other.Email == p.Email {
				return pc.Contractor{}, badRequest(pc.CodeDuplicateEmail, "A contractor with this email already exists.")
			}
		}
	}
	merged := *c
	setIf(&merged.FirstName, p.FirstName)
	setIf(&merged.LastName, p.LastName)
	setIf(&merged.Email, p.Email)
	setIf(&merged.Phone, p.Phone)
	if p.Address != nil {
		merged.Address = p.Address
	}
	merged.CustomMetadata = mergeMetadata(c.CustomMetadata, p.CustomMetadata)
	return merged, nil
}

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func mergeMetadata(old, upd pc.Metadata) pc.Metadata {
	if old == nil && upd == nil {
		return nil
	}
	out := pc.Metadata{}
	for k, v := range old {
		out[k] = v
	}
	for k, v := range upd {
		out[k] = v
	}
	return out
}

func (s *Server) contractorPolicies(w http.ResponseWriter, r *http.Request, _ []byte) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.contractors.get(id); !ok {
		writeErr(w, notFound("contractor", id))
		return
	}
	s.refreshPolicyStatuses()
	out := []pc.Policy{}
	for i := len(s.st.policies.order) - 1; i >= 0; i-- {
		if p := s.st.policies.byID[s.st.policies.order[i]]; p.Contractor == id {
			out = append(out, *p)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// refreshPolicyStatuses marks policies past their expiration date expired (no event is sent:
// 1099Policy sends no expiry event).
func (s *Server) refreshPolicyStatuses() {
	now := s.cfg.Now().Unix()
	for _, p := range s.st.policies.byID {
		if p.Status == pc.PolicyActive && p.ExpirationDate != 0 && int64(p.ExpirationDate) <= now {
			p.Status = pc.PolicyExpired
		}
	}
}

func (s *Server) validateJob(j *pc.Job, partial bool) *apiError {
	if !partial {
		if err := requireFields(map[string]string{"name": j.Name, "entity": j.Entity, "category_code": j.CategoryCode, "wage_type": j.WageType}); err != nil {
			return err
		}
	}
	if (!partial || j.Wage != 0) && j.Wage < 100 {
		return badRequest("wage_invalid", map[string]string{"wage": "Wage must be at least 100 (cents)."})
	}
	if j.WageType != "" && !slices.Contains(validWageTypes, j.WageType) {
		return badRequest("wage_type_invalid", map[string]string{"wage_type": "Must be one of flatfee, hourly, unit, blended."})
	}
	if j.CategoryCode != "" && !slices.ContainsFunc(s.cfg.CategoryCodes, func(c pc.CategoryCode) bool { return c.CategoryCode == j.CategoryCode }) {
		return badRequest("category_code_invalid", map[string]string{"category_code": "Unknown or unapproved category code " + j.CategoryCode + "."})
	}
	if j.Address != nil && len(j.Address.Region) != 2 {
		return badRequest(pc.CodeInvalidRequest, map[string]string{"address.region": "A two-letter region is required in a job's address."})
	}
	return nil
}

func (s *Server) createJob(w http.ResponseWriter, r *http.Request, body []byte) {
	var j pc.Job
	if err := decodeBody(body, &j); err != nil {
		writeErr(w, err)
		return
	}
	if err := s.validateJob(&j, false); err != nil {
		writeErr(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j.ID = s.newID("jb")
	s.st.jobs.put(j.ID, &j)
	writeJSON(w, http.StatusCreated, j)
}

// mergeJob applies a partial job update.
func (s *Server) mergeJob(j *pc.Job, p pc.Job) (pc.Job, *apiError) {
	if err := s.validateJob(&p, true); err != nil {
		return pc.Job{}, err
	}
	merged := *j
	setIf(&merged.Name, p.Name)
	setIf(&merged.Description, p.Description)
	setIf(&merged.Entity, p.Entity)
	setIf(&merged.CategoryCode, p.CategoryCode)
	setIf(&merged.WageType, p.WageType)
	if p.Address != nil {
		merged.Address = p.Address
	}
	if p.Wage != 0 {
		merged.Wage = p.Wage
	}
	merged.CustomMetadata = mergeMetadata(j.CustomMetadata, p.CustomMetadata)
	return merged, nil
}

func (s *Server) listCategoryCodes(w http.ResponseWriter, _ *http.Request, _ []byte) {
	writeJSON(w, http.StatusOK, s.cfg.CategoryCodes)
}

// validateWindow applies the date rules of quotes and assignments.
func (s *Server) validateWindow(effective, end pc.Time) *apiError {
	now := s.cfg.Now().Unix()
	if effective == 0 {
		return badRequest(pc.CodeEffectiveDateInvalid, map[string]string{"effective_date": "This field is required."})
	}
	if int64(effective) < now-60 { // a minute of slack for clock skew
		return badRequest(pc.CodeEffectiveDateInvalid, "Effective date may not be in the past.")
	}
	if end == 0 || end <= effective {
		return badRequest(pc.CodeEndDateInvalid, "End date must be after the effective date.")
	}
	if time.Duration(end-effective)*time.Second > 366*24*time.Hour {
		return badRequest(pc.CodeEndDateInvalid, "End date may be at most one year after the effective date.")
	}
	return nil
}

func validateCoverage(types []string) *apiError {
	if len(types) == 0 {
		return badRequest("parameter_missing", map[string]string{"coverage_type": "This field is required."})
	}
	for _, t := range types {
		if !slices.Contains(validCoverage, t) {
			return badRequest("coverage_type_invalid", map[string]string{"coverage_type": "Unknown coverage type " + t + "."})
		}
	}
	return nil
}

// matchingPolicy returns an active policy of the contractor that covers every type asked for.
func (s *Server) matchingPolicy(contractor string, types []string) *pc.Policy {
	s.refreshPolicyStatuses()
	for i := len(s.st.policies.order) - 1; i >= 0; i-- {
		p := s.st.policies.byID[s.st.policies.order[i]]
		if p.Contractor != contractor || p.Status != pc.PolicyActive {
			continue
		}
		covers := true
		for _, t := range types {
			covers = covers && slices.Contains(p.CoverageType, t)
		}
		if covers {
			return p
		}
	}
	return nil
}

func (s *Server) checkParties(contractor, job string) *apiError {
	if err := requireFields(map[string]string{"contractor": contractor, "job": job}); err != nil {
		return err
	}
	if _, ok := s.st.contractors.get(contractor); !ok {
		return notFound("contractor", contractor)
	}
	if _, ok := s.st.jobs.get(job); !ok {
		return notFound("job", job)
	}
	return nil
}

func (s *Server) createQuote(w http.ResponseWriter, r *http.Request, body []byte) {
	var q pc.Quote
	if err := decodeBody(body, &q); err != nil {
		writeErr(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, err := range []*apiError{s.checkParties(q.Contractor, q.Job), validateCoverage(q.CoverageType), s.validateWindow(q.EffectiveDate, q.EndDate)} {
		if err != nil {
			writeErr(w, err)
			return
		}
	}
	if s.matchingPolicy(q.Contractor, q.CoverageType) != nil {
		writeErr(w, badRequest(pc.CodeContractorHasPolicy, "Contractor already has a matching policy; create an assignment instead."))
		return
	}
	q.ID = s.newID("qt")
	q.Status = "open"
	s.st.quotes.put(q.ID, &q)
	writeJSON(w, http.StatusCreated, q)
}

// mergeQuote applies a partial update to a quote that is not bound yet.
func (s *Server) mergeQuote(q *pc.Quote, p pc.Quote) (pc.Quote, *apiError) {
	if q.Status == "bound" {
		return pc.Quote{}, badRequest("quote_bound", "Quote is already bound to a policy.")
	}
	merged := *q
	if p.EffectiveDate != 0 {
		merged.EffectiveDate = p.EffectiveDate
	}
	if p.EndDate != 0 {
		merged.EndDate = p.EndDate
	}
	if len(p.CoverageType) > 0 {
		merged.CoverageType = p.CoverageType
	}
	if err := s.validateWindow(merged.EffectiveDate, merged.EndDate); err != nil {
		return pc.Quote{}, err
	}
	merged.CustomMetadata = mergeMetadata(q.CustomMetadata, p.CustomMetadata)
	return merged, nil
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request, body []byte) {
	var p pc.SessionParams
	if err := decodeBody(body, &p); err != nil {
		writeErr(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.st.quotes.get(p.Quote)
	if !ok {
		writeErr(w, notFound("quote", p.Quote))
		return
	}
	if q.Status == "bound" {
		writeErr(w, badRequest("quote_bound", "Quote is already bound to a policy."))
		return
	}
	id := s.newID("ias")
	sess := &pc.Session{ID: id, URL: s.publicURL(r) + "/apply/" + id, Step: pc.StepVerifyInfo, Quote: q.ID,
		Contractor: q.Contractor, CustomMetadata: p.CustomMetadata}
	s.st.sessions.put(id, sess)
	s.emit("application.created", sess)
	if s.cfg.AutoCompleteAfter > 0 {
		if c, ok := s.st.contractors.get(q.Contractor); ok && !strings.HasSuffix(c.Email, ManualEmailSuffix) {
			s.after(s.cfg.AutoCompleteAfter, func() { s.completeSession(id) })
		}
	}
	writeJSON(w, http.StatusCreated, sess)
}

func (s *Server) publicURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	return "http://" + r.Host
}

func (s *Server) expireSession(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.st.sessions.get(r.PathValue("id"))
	if !ok {
		writeErr(w, notFound("apply session", r.PathValue("id")))
		return
	}
	if !sess.Expired && sess.Step != pc.StepApplicationComplete {
		sess.Expired = true // the step stays where the contractor stopped
		s.emit("application.expired", sess)
	}
	writeJSON(w, http.StatusOK, sess)
}

// completeSession is the contractor finishing the application: started, complete, and the
// quote bound into an active policy.
func (s *Server) completeSession(id string) (*pc.Session, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.st.sessions.get(id)
	if !ok {
		return nil, notFound("apply session", id)
	}
	if sess.Expired {
		return nil, badRequest("session_expired", "This application session has expired.")
	}
	if sess.Step == pc.StepApplicationComplete {
		return sess, nil
	}
	q := s.st.quotes.byID[sess.Quote]
	sess.Step = pc.StepApplicationQuestions
	s.emit("application.started", sess)
	sess.Step = pc.StepApplicationComplete
	s.emit("application.complete", sess)
	q.Status = "bound"
	pol := &pc.Policy{ID: s.newID("pl"), Quote: q.ID, Contractor: q.Contractor, Status: pc.PolicyActive,
		CoverageType: q.CoverageType, EffectiveDate: q.EffectiveDate, ExpirationDate: q.EndDate,
		CustomMetadata: q.CustomMetadata}
	s.st.policies.put(pol.ID, pol)
	s.emit("policy.active", pol)
	return sess, nil
}

func (s *Server) createAssignment(w http.ResponseWriter, r *http.Request, body []byte) {
	var a pc.Assignment
	if err := decodeBody(body, &a); err != nil {
		writeErr(w, err)
		return
	}
	if len(a.CoverageType) == 0 {
		a.CoverageType = []string{"general"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, err := range []*apiError{s.checkParties(a.Contractor, a.Job), validateCoverage(a.CoverageType), s.validateWindow(a.EffectiveDate, a.EndDate)} {
		if err != nil {
			writeErr(w, err)
			return
		}
	}
	if s.matchingPolicy(a.Contractor, a.CoverageType) == nil {
		writeErr(w, badRequest(pc.CodeNoMatchingPolicy, pc.MessageNoMatchingPolicy))
		return
	}
	a.ID = s.newID("an")
	a.Eligible = &pc.Eligibility{Result: true}
	a.Status = "pending"
	s.st.assignments.put(a.ID, &a)
	id := a.ID
	s.after(s.cfg.AssignmentActiveAfter, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if cur, ok := s.st.assignments.get(id); ok && cur.Status == "pending" {
			cur.Status = "active"
			s.emit("assignment.active", cur)
		}
	})
	writeJSON(w, http.StatusCreated, a)
}

// mergeAssignment moves an assignment's window (a started one keeps its start).
func (s *Server) mergeAssignment(a *pc.Assignment, p pc.Assignment) (pc.Assignment, *apiError) {
	if a.Status == "cancelled" {
		return pc.Assignment{}, badRequest("assignment_cancelled", "Assignment is cancelled.")
	}
	merged := *a
	if p.EffectiveDate != 0 {
		merged.EffectiveDate = p.EffectiveDate
	}
	if p.EndDate != 0 {
		merged.EndDate = p.EndDate
	}
	if merged.EndDate <= merged.EffectiveDate {
		return pc.Assignment{}, badRequest(pc.CodeEndDateInvalid, "End date must be after the effective date.")
	}
	now := pc.Time(s.cfg.Now().Unix())
	if merged.EffectiveDate != a.EffectiveDate && (a.EffectiveDate <= now || merged.EffectiveDate < now-60) {
		return pc.Assignment{}, badRequest(pc.CodeEffectiveDateInvalid, "Effective date may not be in the past.")
	}
	merged.CustomMetadata = mergeMetadata(a.CustomMetadata, p.CustomMetadata)
	return merged, nil
}

func (s *Server) cancelAssignment(w http.ResponseWriter, _ *http.Request, body []byte) {
	var p pc.AssignmentCancel
	if err := decodeBody(body, &p); err != nil {
		writeErr(w, err)
		return
	}
	s.withLiveAssignment(w, p.JobID, func(found *pc.Assignment) *apiError {
		if int64(found.EffectiveDate) <= s.cfg.Now().Unix() {
			return badRequest(pc.CodeAssignmentStarted, "An assignment can be cancelled only before its start date.")
		}
		found.Status = "cancelled"
		s.emit("assignment.cancelled", found)
		return nil
	})
}

// withLiveAssignment runs change on the job's newest assignment that is not cancelled and
// answers it (or the refusal): cancel and extend both act on "the job's assignment".
func (s *Server) withLiveAssignment(w http.ResponseWriter, jobID string, change func(*pc.Assignment) *apiError) {
	if err := requireFields(map[string]string{"job_id": jobID}); err != nil {
		writeErr(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found *pc.Assignment
	for i := len(s.st.assignments.order) - 1; i >= 0; i-- {
		if a := s.st.assignments.byID[s.st.assignments.order[i]]; a.Job == jobID && a.Status != "cancelled" {
			found = a
			break
		}
	}
	if found == nil {
		writeErr(w, notFound("assignment for job", jobID))
		return
	}
	if err := change(found); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, found)
}

// extendAssignment moves the job's live assignment to a later end date.
func (s *Server) extendAssignment(w http.ResponseWriter, _ *http.Request, body []byte) {
	var p pc.AssignmentExtend
	if err := decodeBody(body, &p); err != nil {
		writeErr(w, err)
		return
	}
	s.withLiveAssignment(w, p.JobID, func(found *pc.Assignment) *apiError {
		if p.EndDate <= found.EndDate {
			return badRequest(pc.CodeEndDateInvalid, map[string]string{"end_date": "The new end date must be later than the current one."})
		}
		found.EndDate = p.EndDate
		return nil
	})
}

func (s *Server) listCertificates(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.st.certificates.page(r, nil)
	out := make([]pc.Certificate, len(recs))
	for i, c := range recs {
		out[i] = c.Certificate
	}
	writeJSON(w, http.StatusOK, out)
}

// Certificate review outcome by file name, so tests and demos can pick one: a name containing
// "flag" is flagged, one containing "deny" is denied, one containing "slow" is never reviewed
// automatically (the orchestrator's 2 h poll covers it), anything else is approved.
func reviewOutcome(fileName string) string {
	n := strings.ToLower(fileName)
	switch {
	case strings.Contains(n, "flag"):
		return pc.CertificateFlagged
	case strings.Contains(n, "deny"):
		return pc.CertificateDenied
	case strings.Contains(n, "slow"):
		return ""
	}
	return pc.CertificateApproved
}

const maxCertificateBytes = 15 << 20

func (s *Server) uploadCertificate(w http.ResponseWriter, r *http.Request, body []byte) {
	r.Body = readCloser{bytes.NewReader(body)}
	if err := r.ParseMultipartForm(maxCertificateBytes + 1<<20); err != nil {
		writeErr(w, badRequest("invalid_request", "expected multipart/form-data: "+err.Error()))
		return
	}
	contractor := r.FormValue("contractor")
	file, header, err := r.FormFile("certificate")
	if err != nil {
		writeErr(w, badRequest("parameter_missing", map[string]string{"certificate": "This field is required."}))
		return
	}
	defer file.Close()
	head := make([]byte, 4)
	n, _ := file.Read(head)
	if header.Size > maxCertificateBytes {
		writeErr(w, badRequest(pc.CodeInvalidCertificateFile, "Certificate must be at most 15 MB."))
		return
	}
	if n < 4 || string(head) != "%PDF" {
		writeErr(w, badRequest(pc.CodeInvalidCertificateFile, "Certificate must be a PDF file."))
		return
	}
	meta := pc.Metadata{}
	for k, v := range r.MultipartForm.Value {
		if strings.HasPrefix(k, "custom_metadata[") && strings.HasSuffix(k, "]") && len(v) > 0 {
			meta[k[len("custom_metadata["):len(k)-1]] = v[0]
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.contractors.get(contractor); !ok {
		writeErr(w, notFound("contractor", contractor))
		return
	}
	rec := &certificateRecord{Certificate: pc.Certificate{ID: s.newID("ci"), Contractor: pc.ContractorRef{ID: contractor},
		Status: pc.CertificatePending, FileName: header.Filename, CustomMetadata: meta, Created: pc.Time(s.cfg.Now().Unix())}, size: int(header.Size)}
	s.st.certificates.put(rec.ID, rec)
	if outcome := reviewOutcome(header.Filename); outcome != "" {
		id := rec.ID
		s.after(s.cfg.CertificateReviewAfter, func() { s.reviewCertificate(id, outcome) })
	}
	if s.cfg.CertificateURLAnswers {
		writeJSON(w, http.StatusCreated, map[string]string{"gl_coi_pdf_url": s.publicURL(r) + "/files/" + rec.ID + ".pdf", "wc_coi_pdf_url": ""})
		return
	}
	writeJSON(w, http.StatusCreated, rec.Certificate)
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func (s *Server) reviewCertificate(id, outcome string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.st.certificates.get(id)
	if !ok {
		return notFound("certificate", id)
	}
	if rec.Status == outcome {
		return nil
	}
	rec.Status = outcome
	if outcome != pc.CertificateError { // 1099Policy sends no webhook for error
		s.emit("certificate."+outcome, rec.Certificate)
	}
	return nil
}

func (s *Server) getCertificate(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.st.certificates.get(r.PathValue("id"))
	if !ok {
		writeErr(w, notFound("certificate", r.PathValue("id")))
		return
	}
	out := rec.Certificate
	if slices.Contains(r.URL.Query()["expand[]"], "contractor") {
		if c, ok := s.st.contractors.get(out.Contractor.ID); ok {
			cp := *c
			out.Contractor.Expanded = &cp
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createInvoice(w http.ResponseWriter, r *http.Request, body []byte) {
	var inv pc.Invoice
	if err := decodeBody(body, &inv); err != nil {
		writeErr(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkParties(inv.Contractor, inv.Job); err != nil {
		writeErr(w, err)
		return
	}
	if inv.GrossPay <= 0 {
		writeErr(w, badRequest("gross_pay_invalid", map[string]string{"gross_pay": "Must be a positive number of cents."}))
		return
	}
	if inv.PaycycleStartdate == 0 || inv.PaycycleEnddate == 0 || inv.PaycycleEnddate < inv.PaycycleStartdate {
		writeErr(w, badRequest("paycycle_invalid", "paycycle_startdate and paycycle_enddate are required, start before end."))
		return
	}
	inv.ID = s.newID("in")
	s.st.invoices.put(inv.ID, &inv)
	writeJSON(w, http.StatusCreated, inv)
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshPolicyStatuses()
	p, ok := s.st.policies.get(r.PathValue("id"))
	if !ok {
		writeErr(w, notFound("policy", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev, ok := s.st.events.get(r.PathValue("id"))
	if !ok {
		writeErr(w, notFound("event", r.PathValue("id")))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(*ev)
}
