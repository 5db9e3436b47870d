package platformsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
)

// JobDiva's API as vendors.md gives it: authenticate (a plain-text token), searchStart (keys
// with spaces), and the BI reports (UpdatedHires, NewUpdatedTerminations at most 14 days a
// call, CandidateDetail, JobDetail, TimesheetDetail) in both row formats.
func (s *Server) jobdivaRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /jobdiva"+jobdiva.PathAuthenticate, s.api(jobdiva.Vendor, false, s.jobdivaAuthenticate))
	m.HandleFunc("POST /jobdiva"+jobdiva.PathSearchStart, s.api(jobdiva.Vendor, true, s.jobdivaSearchStart))
	m.HandleFunc("GET /jobdiva"+jobdiva.PathBI+"{metric}", s.api(jobdiva.Vendor, true, s.jobdivaReport))
}

// jobdivaStart is what the simulator keeps per start: the searchStart row and its report data.
type jobdivaStart struct {
	Row         map[string]any `json:"row"`
	CandidateID string         `json:"candidate_id"`
	JobID       string         `json:"job_id"`
	Terminated  string         `json:"terminated,omitempty"` // report date of a termination
}

func (s *Server) jobdivaSearchStart(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CandidateID json.RawMessage `json:"candidateid"`
		JobID       json.RawMessage `json:"jobId"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.CandidateID) == 0 || len(req.JobID) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "candidateid and jobId are required"})
		return
	}
	cand, job := strings.Trim(string(req.CandidateID), `"`), strings.Trim(string(req.JobID), `"`)
	out := []map[string]any{}
	for _, l := range s.list(jobdiva.Vendor, "starts", time.Time{}) {
		var st jobdivaStart
		_ = json.Unmarshal(l.raw, &st)
		if st.CandidateID == cand && st.JobID == job {
			out = append(out, st.Row)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// jobdivaReport answers a BI report; alternateFormat=true gives object rows, else the first
// row lists the columns.
func (s *Server) jobdivaReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	metric := r.PathValue("metric")
	var rows []map[string]string
	switch metric {
	case jobdiva.ReportHires, jobdiva.ReportTerminations:
		from, err1 := jobdiva.ParseTime(q.Get("fromDate"))
		to, err2 := jobdiva.ParseTime(q.Get("toDate"))
		if err1 != nil || err2 != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "fromDate and toDate must be MM/dd/yyyy HH:mm:ss"})
			return
		}
		if to.Sub(from) > jobdiva.MaxReportWindow {
			writeJSON(w, http.StatusOK, map[string]string{"message": "Date range more than 14 days, metric name = " + metric})
			return
		}
		for _, l := range s.list(jobdiva.Vendor, "starts", from) {
			if l.at.After(to) {
				continue
			}
			var st jobdivaStart
			_ = json.Unmarshal(l.raw, &st)
			row := map[string]string{"STARTID": fmt.Sprint(st.Row["id"]), "CANDIDATEID": st.CandidateID, "JOBID": st.JobID,
				"DATEUPDATED": l.at.UTC().Format(jobdiva.LayoutReport)}
			switch {
			case metric == jobdiva.ReportTerminations && st.Terminated != "":
				row["TERMINATIONDATE"] = st.Terminated
				rows = append(rows, row)
			case metric == jobdiva.ReportHires && st.Terminated == "":
				rows = append(rows, row)
			}
		}
	case jobdiva.ReportCandidate, jobdiva.ReportJob, jobdiva.ReportTimesheet:
		key := map[string]string{jobdiva.ReportCandidate: "candidateId", jobdiva.ReportJob: "jobId", jobdiva.ReportTimesheet: "timesheetId"}[metric]
		raw, ok := s.get(jobdiva.Vendor, metric, q.Get(key))
		if ok {
			var row map[string]string
			_ = json.Unmarshal(raw, &row)
			rows = append(rows, row)
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "unknown metric " + metric})
		return
	}
	if q.Get("alternateFormat") == "true" {
		if rows == nil {
			rows = []map[string]string{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"message": "Success", "data": rows})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Success", "data": headerRows(rows)})
}

// headerRows is the report without alternateFormat: the columns, then one list per row.
func headerRows(rows []map[string]string) [][]string {
	var cols []string
	seen := map[string]bool{}
	for _, r := range rows {
		for k := range r {
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	out := [][]string{cols}
	for _, r := range rows {
		line := make([]string, len(cols))
		for i, c := range cols {
			line[i] = r[c]
		}
		out = append(out, line)
	}
	return out
}

// EnrollBody is the enrollment route's body for a JobDiva example (its start is looked up by
// candidate and job); nil for the other platforms.
func EnrollBody(platform string, e Example) map[string]string {
	if platform != jobdiva.Vendor {
		return nil
	}
	return map[string]string{"candidate_id": e.ContractorID, "job_id": jobdivaJobID(e)}
}

func jobdivaJobID(e Example) string { return orDefault(e.JobID, "7"+e.ID) }

// seedJobdiva stores an example's start, candidate and job.
func (s *Server) seedJobdiva(e Example, first, last string) error {
	jobID := jobdivaJobID(e)
	candidate := map[string]string{"CANDIDATEID": e.ContractorID, "FIRSTNAME": first, "LASTNAME": last, "EMAIL": e.Email,
		"PHONE": "415-555-0100", "ADDRESS1": "1 Main St", "CITY": "Oakland", "STATE": "CA", "ZIPCODE": "94607", "COUNTRY": "US"}
	if err := s.Put(jobdiva.Vendor, jobdiva.ReportCandidate, e.ContractorID, candidate); err != nil {
		return err
	}
	job := map[string]string{"JOBID": jobID, "TITLE": "Contract Data Analyst", "DESCRIPTION": "Reporting migration",
		"CATEGORY": orDefault(e.Category, "Data Analytics"), "COMPANYID": orDefault(e.ClientID, "3001"), "STATE": "CA"}
	if err := s.Put(jobdiva.Vendor, jobdiva.ReportJob, jobID, job); err != nil {
		return err
	}
	unit := "USD/Fixed"
	if e.Hourly {
		unit = "USD/Hour"
	}
	var end any
	if !e.End.IsZero() {
		end = e.End.Format("2006-01-02T15:04:05.000-07:00")
	}
	row := map[string]any{"id": number(e.ID), "job id": number(jobID), "candidate id": number(e.ContractorID),
		"candidate name": first + " " + last, "candidate email": e.Email, "start date": e.Start.Format("2006-01-02T15:04:05.000-07:00"),
		"end date": end, "position type": orDefault(e.Type, "Contract"), "final bill rate": 125.0, "bill rate currency/unit": unit,
		"agreed pay rate": decimal(e.Rate), "pay rate currency/unit": unit, "is internal": false}
	st := jobdivaStart{Row: row, CandidateID: e.ContractorID, JobID: jobID}
	if strings.EqualFold(e.Status, "terminated") {
		at := e.Terminated
		if at.IsZero() {
			at = s.cfg.Now()
		}
		st.Terminated = at.UTC().Format(jobdiva.LayoutReport)
	}
	return s.Put(jobdiva.Vendor, "starts", e.ID, st)
}

// number is an id as JobDiva's JSON has it: a number when it is one.
func number(id string) any {
	var n json.Number
	if json.Unmarshal([]byte(id), &n) == nil {
		return n
	}
	return id
}

// jobdivaHook is a JobDiva notification for an example's event: a billing change re-syncs the
// start, a timesheet is an invoice, a candidate change updates the contractor. JobDiva sends
// no start, end or certificate notification (starts come from the reports).
func jobdivaHook(kind string, e Example, ref string, at time.Time) (map[string]any, error) {
	date := at.UTC().Format(jobdiva.LayoutReport)
	switch kind {
	case HookUpdate:
		return map[string]any{"type": "billing", "operation": "Update", "id": "b" + e.ID,
			"data": []map[string]string{{"BILLINGID": "b" + e.ID, "STARTID": e.ID, "DATEUPDATED": date}}}, nil
	case HookInvoice:
		return map[string]any{"type": "timesheet", "operation": "Insert", "id": ref,
			"data": []map[string]string{{"TIMESHEETID": ref, "STARTID": e.ID}}}, nil
	case HookContractor:
		return map[string]any{"type": "candidate", "operation": "Update", "id": e.ContractorID, "data": []map[string]string{}}, nil
	}
	return nil, fmt.Errorf("JobDiva sends no %s notification", kind)
}

// jobdivaTimesheet is TimesheetDetail's row.
func jobdivaTimesheet(e Example, id, amount string) map[string]string {
	return map[string]string{"TIMESHEETID": id, "STARTID": e.ID, "GROSSPAY": amount,
		"WEEKSTART": e.Start.Format(jobdiva.LayoutReport), "WEEKEND": e.Start.AddDate(0, 0, 6).Format(jobdiva.LayoutReport)}
}
